# src/parquet (writer side).
