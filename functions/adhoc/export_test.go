package adhoc

// CheckPlan is the second layer alone, for tests that take the first away.
var CheckPlan = checkPlan
