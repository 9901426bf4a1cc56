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

// VersionResolutions: a return whose lines choose store credit or an
// exchange (issue 16) holds its exchanges' replacements on approval and
// releases them if it ends without the goods accepted, and issues its
// credit lines as store credit with the policy's bonus before (or instead
// of) the refund to the payment. Only such returns ask for it, so the
// histories of refund-only returns are unchanged.
const VersionResolutions = "resolutions"
