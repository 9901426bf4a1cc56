// Command rebound is the one binary of the Rebound returns platform.
// Run `rebound --help` for its subcommands.
package main

import (
	"os"

	"github.com/rebound-returns/rebound/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}
