# src/tools: data tools behind `frocket gen` and `frocket repartition`.
