package api

// shopperFacingActor is who did a step of a return, as its shopper is
// told: a role, never a member of staff's user name (staff views keep the
// names).
func shopperFacingActor(actor, role string) string {
	switch role {
	case "":
		switch actor {
		case "shopper", "carrier", "system":
			return actor
		}
		return "staff"
	case "finance":
		return "finance"
	case "operator":
		return "support"
	default: // clerk, supervisor, admin
		return "staff"
	}
}
