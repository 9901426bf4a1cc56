package activities

import "context"

// creditExpiryBatch is how many credits one step of an expiry run takes.
const creditExpiryBatch = 500

// ExpireCredits appends an expired entry for what is left of every store
// credit past its date (db.Credits.ExpireCredits, which takes each balance
// with a conditional update), batch by batch, and answers how many it
// expired. A retry, or a second run the same day, expires nothing twice:
// an expired credit has nothing left.
func (a *Store) ExpireCredits(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := a.DB.Credits.ExpireCredits(ctx, a.now(), creditExpiryBatch)
		total += n
		if err != nil || n < creditExpiryBatch {
			return total, err
		}
	}
}
