package datasystest_test

import "context"

func t0Context() context.Context { return context.Background() }
