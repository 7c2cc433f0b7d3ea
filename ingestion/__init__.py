"""dualcarbon ingestion: source registry, loaders, raster zonal statistics and the sample world.

Every source is one module in ``ingestion.sources`` declaring its contract next to its loader;
``ingestion.registry`` lists them; ``ingestion.load.ingest`` reads, validates, transforms and
publishes each source into the ``raw`` schema of the warehouse in one transaction.
"""
__version__ = "0.1.0"
