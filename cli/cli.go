// Package cli implements the rebound binary's subcommands: it reads the
// configuration, builds the parts of the platform and runs them until a
// signal. Logic lives in the packages it wires together.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/rebound-returns/rebound/config"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	// flags maps each flag to the variable it overrides.
	flags []flagVar
	// switches are flags that override a true/false variable: given alone
	// (--name) they set it true, --name=false sets it false.
	switches []flagVar
	// extra registers flags that are not configuration variables.
	extra func(fs *flag.FlagSet)
	// mode selects the configuration's defaults; "" reads no configuration.
	mode config.Mode
	run  func(ctx context.Context, env *Env, args []string) error
}

// flagVar is a flag that overrides a configuration variable.
type flagVar struct {
	name, variable, usage string
}

// Env is what a running subcommand gets: its configuration and where to
// print for people.
type Env struct {
	Config *config.Config
	Stdout io.Writer
	Stderr io.Writer
}

func commands() []*command {
	return []*command{devCommand(), apiCommand(), workerCommand(), migrateCommand(), adminCommand(), gatewayCommand(), acquirerCommand(), loadgenCommand(), healthcheckCommand(), temporalCommand(), pickupCommand()}
}

// Main runs the subcommand named by args[0] and returns the exit status.
func Main(args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout, cmds)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	var cmd *command
	for _, c := range cmds {
		if c.name == args[0] {
			cmd = c
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "rebound: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return cmd.main(ctx, args[1:], stdout, stderr, lookup)
}

func usage(w io.Writer, cmds []*command) {
	fmt.Fprintln(w, "rebound: the returns platform\n\nUsage: rebound <command> [flags]\n\nCommands:")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `rebound <command> --help` for a command's flags. Configuration comes from REBOUND_ variables (see README.md).")
}

func (c *command) main(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	fs := flag.NewFlagSet("rebound "+c.name, flag.ContinueOnError)
	// Parse quietly; help goes to stdout, mistakes to stderr, each once.
	fs.SetOutput(io.Discard)
	values := map[string]func() string{}
	for _, f := range c.flags {
		v := fs.String(f.name, "", f.usage+" (overrides "+f.variable+")")
		values[f.name] = func() string { return *v }
	}
	for _, f := range c.switches {
		v := fs.Bool(f.name, false, f.usage+" (overrides "+f.variable+")")
		values[f.name] = func() string { return strconv.FormatBool(*v) }
	}
	if c.extra != nil {
		c.extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: rebound %s [flags]\n\n%s\n\nFlags:\n", c.name, c.summary)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK
		}
		fmt.Fprintf(stderr, "rebound %s: %v\n", c.name, err)
		fs.SetOutput(stderr)
		fs.Usage()
		return exitUsage
	}
	// Flags win over variables: they are laid over the environment, so that
	// one validation covers both.
	overrides := map[string]string{}
	fromFlag := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		for _, fv := range append(slices.Clone(c.flags), c.switches...) {
			if fv.name == f.Name {
				overrides[fv.variable] = values[f.Name]()
				fromFlag[fv.variable] = "--" + f.Name
			}
		}
	})
	var cfg *config.Config
	var err error
	if c.mode != "" {
		cfg, err = config.Load(c.mode, func(name string) (string, bool) {
			if v, ok := overrides[name]; ok {
				return v, true
			}
			return lookup(name)
		})
	}
	if err != nil && wantsHelp(fs.Args()) {
		// A subcommand's help (`rebound admin create-merchant -h`) needs
		// no configuration: the command prints it before it opens anything.
		cfg, err = nil, nil
	}
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) && fromFlag[ce.Var] != "" {
			err = fmt.Errorf("%s: %s", fromFlag[ce.Var], ce.Problem)
		}
		fmt.Fprintf(stderr, "rebound %s: %v\n", c.name, err)
		return exitUsage
	}
	env := &Env{Config: cfg, Stdout: stdout, Stderr: stderr}
	if err := c.run(ctx, env, fs.Args()); err != nil {
		fmt.Fprintf(stderr, "rebound %s: %v\n", c.name, oneLine(err))
		return exitFailed
	}
	return exitOK
}

// wantsHelp tells whether a subcommand's arguments ask for its help.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help", "--h":
			return true
		case "--":
			return false
		}
	}
	return false
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
