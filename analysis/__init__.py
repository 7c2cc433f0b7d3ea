"""dualcarbon analysis package: mart access, estimators, measures, replications, report."""
