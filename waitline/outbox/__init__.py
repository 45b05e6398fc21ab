"""Events: born in the transaction of the change they describe, delivered from the table."""
