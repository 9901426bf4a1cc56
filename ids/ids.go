// Package ids holds the one rule for the ids Rebound writes and reads: a
// UUID in canonical text. The API checks every id a caller sends against it
// before the id reaches SQL, and so do the use cases under app/.
package ids

// Valid tells whether s is an id in the one form Rebound writes and reads:
// a UUID in canonical text (36 characters, lower-case hex, hyphens at 8, 13,
// 18 and 23). Other spellings that uuid.Parse accepts (urn:uuid:…, braces,
// upper case, no hyphens) are refused like any unknown id, so that no raw
// spelling reaches SQL and every id compares byte for byte.
func Valid(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}
