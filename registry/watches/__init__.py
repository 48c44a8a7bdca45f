"""Watches and notices: any party hears of every event touching the vehicles it watches."""
