"""The matching engine behind the `match` stage: blocking, comparisons, model, evidence."""
