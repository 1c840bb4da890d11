"""staking: validators, delegations, unbonding and the validator set CometBFT runs with."""
