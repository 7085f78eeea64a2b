/* A tiny test runner: CHECK records a failure and goes on; RUN counts. */
#ifndef NODE_TEST_H
#define NODE_TEST_H
#include <stdio.h>

extern int test_failures;
#define CHECK(c)                                                                       \
	do {                                                                           \
		if (!(c)) {                                                            \
			test_failures++;                                               \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
		}                                                                      \
	} while (0)
#define CHECK_EQ(a, b)                                                                 \
	do {                                                                           \
		long long _a = (long long)(a), _b = (long long)(b);                    \
		if (_a != _b) {                                                        \
			test_failures++;                                               \
			fprintf(stderr, "%s:%d: %s = %lld, want %s = %lld\n", __FILE__, __LINE__, \
				#a, _a, #b, _b);                                       \
		}                                                                      \
	} while (0)

#endif
