"""Ways to run the pipeline beyond one process: the Ray engine (``ray_engine``) and
the Parquet interchange it writes and `chorus load-parquet` reads (``parquet``)."""
