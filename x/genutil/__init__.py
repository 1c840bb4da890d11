"""genutil: the signed genesis transactions (gentxs) that bond a new chain's first validators.

The app delivers them in InitChain after every module's genesis, like any other tx; this
module only owns their place in the genesis file and checks its shape.
"""
