package datasystest

func attachmentCases() []testCase  { return nil }
func errorCases() []testCase       { return nil }
func hearthCases() []testCase      { return nil }
