"""slashing: double-sign evidence and downtime punish validators; jail, tombstone, unjail."""
