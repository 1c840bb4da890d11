"""market: one order per deployment group, providers' bids, matching, leases and their pay."""
