package datasystest

func changesCases() []testCase     { return nil }
func changesFeedCases() []testCase { return nil }
func attachmentCases() []testCase  { return nil }
func errorCases() []testCase       { return nil }
func hearthCases() []testCase      { return nil }
