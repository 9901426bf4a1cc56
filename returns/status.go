package returns

// Status is where a return stands in its lifecycle.
type Status string

// The statuses of a return's lifecycle (README, "The life of a return").
const (
	PendingVerification Status = "pending_verification"
	Submitted           Status = "submitted"
	Ineligible          Status = "ineligible"
	AwaitingReview      Status = "awaiting_review"
	Approved            Status = "approved"
	Declined            Status = "declined"
	AwaitingShipment    Status = "awaiting_shipment"
	InTransit           Status = "in_transit"
	AwaitingDropoff     Status = "awaiting_dropoff"
	Received            Status = "received"
	AwaitingInspection  Status = "awaiting_inspection"
	Rejected            Status = "rejected"
	RefundPending       Status = "refund_pending"
	Refunded            Status = "refunded"
	RefundFailed        Status = "refund_failed"
	AwaitingSettlement  Status = "awaiting_settlement"
	Closed              Status = "closed"
	Cancelled           Status = "cancelled"
	Expired             Status = "expired"
)

// next lists the moves allowed from each status.
var next = map[Status][]Status{
	PendingVerification: {Submitted, Expired},
	Submitted:           {Ineligible, Approved, AwaitingReview, Cancelled},
	AwaitingReview:      {Approved, Declined, Cancelled},
	Approved:            {AwaitingShipment, AwaitingDropoff, Cancelled},
	AwaitingShipment:    {InTransit, Received, Expired, Cancelled},
	InTransit:           {Received},
	AwaitingDropoff:     {Received, Expired, Cancelled},
	Received:            {AwaitingInspection},
	AwaitingInspection:  {RefundPending, Rejected},
	RefundPending:       {Refunded, RefundFailed},
	RefundFailed:        {RefundPending, Refunded, Closed},
	Refunded:            {AwaitingSettlement, Closed},
	AwaitingSettlement:  {Closed},
}

// Statuses lists every status in lifecycle order.
func Statuses() []Status {
	return []Status{PendingVerification, Submitted, Ineligible, AwaitingReview, Approved, Declined,
		AwaitingShipment, InTransit, AwaitingDropoff, Received, AwaitingInspection, Rejected,
		RefundPending, Refunded, RefundFailed, AwaitingSettlement, Closed, Cancelled, Expired}
}

// Valid tells whether s is a known status.
func (s Status) Valid() bool {
	for _, k := range Statuses() {
		if k == s {
			return true
		}
	}
	return false
}

// CanBecome tells whether a return may move from s to t.
func (s Status) CanBecome(t Status) bool {
	for _, n := range next[s] {
		if n == t {
			return true
		}
	}
	return false
}

// Terminal tells whether the return has ended for good.
func (s Status) Terminal() bool {
	return s.Valid() && len(next[s]) == 0
}

// Cancellable tells whether the shopper or staff may still cancel.
func (s Status) Cancellable() bool { return s.CanBecome(Cancelled) }

// Reserving tells whether a verified return in this status holds the
// quantities it asked for, so that no other return can claim them.
func (s Status) Reserving() bool {
	switch s {
	case PendingVerification, Ineligible, Declined, Cancelled, Expired:
		return false
	}
	return s.Valid()
}
