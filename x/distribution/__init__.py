"""distribution: block rewards (inflation and fees) to bonded validators and their delegators."""
