package workflows

// Change ids of released workflows (workflow.GetVersion).
const (
	// VersionRefundFreeze: refunds check for a freeze before each new
	// attempt.
	VersionRefundFreeze = "refund-freeze"
	// VersionRefundRules: refunds keep the money rules against real hosts
	// (a void refused becomes a refund, reversals count only what left and
	// are patient while the acquirer is unreachable, a 25 waits for the
	// original's fate, each online run is an attempt of its own) and take
	// their card settings from the worker.
	VersionRefundRules = "refund-rules"
	// VersionLocalSteps: a return's transitions and its policy's decision
	// run as local activities, on the worker that runs the workflow, with
	// no round trip through the server for each (issue 15).
	VersionLocalSteps = "local-steps"
)
