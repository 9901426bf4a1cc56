// Package workflows holds Rebound's Temporal workflows and their contract:
// task queue, workflow IDs, names of signals, updates and queries, and the
// exported inputs and results that cross the boundary. It does no I/O.
package workflows

// TaskQueue is where the return and refund workflows and their activities run.
const TaskQueue = "returns"
