package loadgen

import "go.temporal.io/sdk/activity"

// quietLogger drops the SDK's lines: the report says what matters.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

func activityName(name string) activity.RegisterOptions { return activity.RegisterOptions{Name: name} }
