"""dunning: chase unpaid invoices like a careful French credit controller."""
