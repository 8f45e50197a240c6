"""SpiffWorkflow at run time: cached specs, compact state serialization, and queries on a live workflow."""
