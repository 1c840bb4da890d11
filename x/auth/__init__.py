"""auth: accounts (numbers, public keys, sequences) and the ante checks every tx passes."""
