"""Provider daemon: bids on orders, runs leased workloads on Docker, reports GPU usage."""
