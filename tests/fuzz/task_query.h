/* The fixed query fuzz_task decodes part results against (over the EV schema of
 * tests/unit/query_testdata.h): a funnel with step and end aggregations and every aggregation
 * type, so every branch of the part-result decoder is reachable.  Shared with the seed
 * generator. */
#ifndef FR_FUZZ_TASK_QUERY_H
#define FR_FUZZ_TASK_QUERY_H

#define FUZZ_TASK_QUERY \
	"{\"query\":{\"aggregations\":[{\"column\":\"event\",\"type\":\"count\"}," \
	"{\"column\":\"tag\",\"type\":\"countPerValue\"}," \
	"{\"column\":\"tag\",\"type\":\"groupsPerValue\"}," \
	"{\"column\":\"event\",\"type\":\"sumPerValue\",\"otherColumn\":\"qty\"}," \
	"{\"column\":\"event\",\"type\":\"sumPerValue\",\"otherColumn\":\"price\"}," \
	"{\"column\":\"tag\",\"type\":\"meanPerValue\",\"otherColumn\":\"price\"}]}," \
	"\"funnel\":{\"sequence\":[{\"filter\":[\"event\",\"==\",\"view\"]}," \
	"{\"filter\":[\"event\",\"==\",\"buy\"]}]," \
	"\"stepAggregations\":[{\"column\":\"price\",\"type\":\"sumPerValue\",\"otherColumn\":\"qty\"}]," \
	"\"endAggregations\":[{\"column\":\"tag\",\"type\":\"countPerValue\"}]}}"

#endif
