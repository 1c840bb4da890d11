"""Application modules (bank, auth, ...), each under its own store prefix."""
