"""bank: balances, total supply, MsgSend and MsgMultiSend, module accounts."""
