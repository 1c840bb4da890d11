"""The state machine: the ABCI application, its store, transactions and the node process."""
