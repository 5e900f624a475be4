// Package kubectl turns a line an operator types in the dashboard's command
// box, in kubectl's argument syntax, into one remote operation of the action
// catalog (query/kinds): an action, a target and parameters.
//
// It parses; it never runs anything and never hands the line to a shell.
// Only verbs and flags that map onto a catalog action are accepted; the
// error names the part that is not (a verb, a flag, a kind).
package kubectl

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/kinds"
)

// MaxLine bounds a line.
const MaxLine = 1024

// Command is a parsed line.
type Command struct {
	Action string         `json:"action"`
	Target control.Target `json:"target"`
	Params map[string]any `json:"params,omitempty"`
}

// Error says which part of a line is not supported.
type Error struct {
	Part string // the offending word or flag ("" when the line is incomplete)
	Msg  string
}

func (e *Error) Error() string {
	if e.Part == "" {
		return e.Msg
	}
	return fmt.Sprintf("%s: %s", e.Part, e.Msg)
}

func errf(part, format string, args ...any) *Error {
	return &Error{Part: part, Msg: fmt.Sprintf(format, args...)}
}

// Parse parses one line. A leading "kubectl" is optional.
func Parse(line string) (Command, error) {
	if len(line) > MaxLine {
		return Command{}, errf("", "line longer than %d characters", MaxLine)
	}
	args, err := split(line)
	if err != nil {
		return Command{}, err
	}
	if len(args) > 0 && args[0] == "kubectl" {
		args = args[1:]
	}
	// Global flags may come before the verb (kubectl -n shop get …):
	// find the first word that is not a flag or a flag's value.
	verbAt := -1
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			verbAt = i
			break
		}
		if (a == "-n" || a == "--namespace") && i+1 < len(args) {
			i++ // its value
		}
	}
	if verbAt < 0 {
		return Command{}, errf("", "no command: type e.g. rollout restart deployment/web -n shop")
	}
	rest := append(append([]string{}, args[:verbAt]...), args[verbAt+1:]...)
	verb := args[verbAt]
	p, ok := parsers[verb]
	if !ok {
		return Command{}, errf(verb, "unsupported command (supported: %s)", strings.Join(Verbs(), ", "))
	}
	return p(verb, rest)
}

// Verbs lists the supported first words.
func Verbs() []string {
	return []string{"get", "describe", "events", "logs", "delete", "rollout", "scale", "set", "cordon", "uncordon",
		"drain", "create", "suspend", "resume"}
}

type parser func(verb string, args []string) (Command, error)

var parsers map[string]parser

func init() {
	parsers = map[string]parser{
		"get": parseGet, "describe": plain("object.describe", ""), "events": parseEvents, "logs": parseLogs, "delete": parseDelete,
		"rollout": parseRollout, "scale": parseScale, "set": parseSet, "cordon": plain("node.cordon", kinds.Node),
		"uncordon": plain("node.uncordon", kinds.Node), "drain": parseDrain, "create": parseCreate,
		"suspend": plain("cronjob.suspend", kinds.CronJob), "resume": plain("cronjob.resume", kinds.CronJob),
	}
}

// flags is a verb's flag set with the namespace flag every verb takes.
type flags struct {
	fs *pflag.FlagSet
	ns *string
}

func newFlags(verb string) flags {
	fs := pflag.NewFlagSet(verb, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return flags{fs: fs, ns: fs.StringP("namespace", "n", "", "")}
}

// parse parses args and returns the positional words.
func (f flags) parse(args []string) ([]string, error) {
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, errf("--help", "help is not available here")
		}
		return nil, flagError(err)
	}
	return f.fs.Args(), nil
}

// flagError turns pflag's messages into an Error naming the flag.
func flagError(err error) *Error {
	msg := err.Error()
	part := ""
	for _, prefix := range []string{"unknown flag: ", "unknown shorthand flag: ", "flag needs an argument: "} {
		if rest, ok := strings.CutPrefix(msg, prefix); ok {
			part = strings.Trim(strings.Fields(rest + " ")[0], "'")
			if prefix == "unknown shorthand flag: " {
				// "'f' in -f"
				if i := strings.LastIndex(rest, " in "); i >= 0 {
					part = rest[i+4:]
				}
			}
			if prefix == "flag needs an argument: " {
				part = strings.TrimPrefix(rest, "'")
				if i := strings.LastIndex(rest, " in "); i >= 0 {
					part = rest[i+4:]
				}
			}
			msg = strings.TrimSuffix(prefix, ": ")
			break
		}
	}
	if part == "" {
		// invalid argument "x" for "--replicas" flag: …
		if i := strings.Index(msg, `for "`); i >= 0 {
			rest := msg[i+5:]
			if j := strings.Index(rest, `"`); j >= 0 {
				part = rest[:j]
				msg = "invalid value"
				if k := strings.Index(err.Error(), `invalid argument "`); k >= 0 {
					v := err.Error()[k+18:]
					if l := strings.Index(v, `"`); l >= 0 {
						msg = fmt.Sprintf("invalid value %q", v[:l])
					}
				}
			}
		}
	}
	if msg == "unknown flag" || msg == "unknown shorthand flag" {
		msg = "flag not supported here"
	}
	return &Error{Part: part, Msg: msg}
}

// target resolves positional words "kind/name" or "kind name" (or just
// "name" when the verb implies the kind) into a target of an action that
// applies to its kind.
func target(verb string, words []string, ns string, defKind string) (control.Target, []string, error) {
	if len(words) == 0 {
		return control.Target{}, nil, errf(verb, "which object? e.g. %s deployment/web", verb)
	}
	var kindWord, name string
	if k, n, ok := strings.Cut(words[0], "/"); ok {
		kindWord, name, words = k, n, words[1:]
	} else if defKind != "" && len(words) >= 1 && (len(words) == 1 || resolveKind(words[0]) == "") {
		kindWord, name, words = defKind, words[0], words[1:]
	} else {
		if len(words) < 2 {
			return control.Target{}, nil, errf(words[0], "give a kind and a name, e.g. %s deployment/web", verb)
		}
		kindWord, name, words = words[0], words[1], words[2:]
	}
	kind := resolveKind(kindWord)
	if kind == "" {
		return control.Target{}, nil, errf(kindWord, "unknown kind")
	}
	if kind == kinds.Secret {
		return control.Target{}, nil, errf(kindWord, "Secrets are never read or changed by remote operations")
	}
	if name == "" || strings.Contains(name, "/") {
		return control.Target{}, nil, errf(kindWord+"/"+name, "want kind/name")
	}
	k, _ := kinds.ByName(kind)
	t := control.Target{Kind: kind, Name: name}
	if k.Namespaced {
		t.Namespace = ns
		if t.Namespace == "" {
			t.Namespace = "default"
		}
	} else if ns != "" {
		return control.Target{}, nil, errf("-n", "%s is not namespaced", kind)
	}
	return t, words, nil
}

// noMore refuses words left over.
func noMore(words []string) error {
	if len(words) > 0 {
		return errf(words[0], "unexpected argument")
	}
	return nil
}

// one resolves exactly one object from words and the action name on it.
func one(verb string, words []string, ns, defKind, name string) (Command, error) {
	t, rest, err := target(verb, words, ns, defKind)
	if err != nil {
		return Command{}, err
	}
	if err := noMore(rest); err != nil {
		return Command{}, err
	}
	return action(name, t, verb)
}

// plain is a verb that takes one object and no flags but the namespace.
func plain(name, defKind string) parser {
	return func(verb string, args []string) (Command, error) {
		f := newFlags(verb)
		words, err := f.parse(args)
		if err != nil {
			return Command{}, err
		}
		return one(verb, words, *f.ns, defKind, name)
	}
}

// action finds the catalog action named name and checks it applies to t.
func action(name string, t control.Target, word string) (Command, error) {
	a, ok := kinds.ActionByName(name)
	if !ok {
		return Command{}, errf(word, "no such action")
	}
	if !a.Applies(t.Kind) {
		return Command{}, errf(word, "does not apply to %s (applies to %s)", t.Kind, strings.Join(a.Kinds, ", "))
	}
	return Command{Action: a.Name, Target: t}, nil
}

func parseGet(verb string, args []string) (Command, error) {
	f := newFlags(verb)
	out := f.fs.StringP("output", "o", "yaml", "")
	words, err := f.parse(args)
	if err != nil {
		return Command{}, err
	}
	if *out != "yaml" {
		return Command{}, errf("-o "+*out, "only -o yaml is supported")
	}
	if len(words) == 1 && !strings.Contains(words[0], "/") {
		return Command{}, errf(words[0], "listing is not a remote operation: name one object, e.g. get deployment/web -o yaml")
	}
	return one(verb, words, *f.ns, "", "object.yaml")
}

func parseEvents(verb string, args []string) (Command, error) {
	f := newFlags(verb)
	forObj := f.fs.String("for", "", "")
	words, err := f.parse(args)
	if err != nil {
		return Command{}, err
	}
	if *forObj != "" {
		words = append([]string{*forObj}, words...)
	}
	if len(words) == 0 {
		return Command{}, errf(verb, "events of which object? e.g. events --for pod/web-1 -n shop")
	}
	return one(verb, words, *f.ns, "", "object.events")
}

func parseLogs(verb string, args []string) (Command, error) {
	f := newFlags(verb)
	container := f.fs.StringP("container", "c", "", "")
	tail := f.fs.Int("tail", -1, "")
	previous := f.fs.BoolP("previous", "p", false, "")
	since := f.fs.String("since", "", "")
	words, err := f.parse(args)
	if err != nil {
		return Command{}, err
	}
	t, words, err := target(verb, words, *f.ns, kinds.Pod)
	if err != nil {
		return Command{}, err
	}
	if len(words) == 1 && *container == "" {
		*container, words = words[0], nil // kubectl logs pod container
	}
	if err := noMore(words); err != nil {
		return Command{}, err
	}
	c, err := action("pod.logs", t, verb)
	if err != nil {
		return Command{}, err
	}
	c.Params = map[string]any{}
	if *container != "" {
		c.Params["container"] = *container
	}
	if *previous {
		c.Params["previous"] = true
	}
	if *tail >= 0 {
		c.Params["tail_lines"] = *tail
	}
	if *since != "" {
		d, err := time.ParseDuration(*since)
		if err != nil || d <= 0 {
			return Command{}, errf("--since="+*since, "want a positive duration like 5m or 1h")
		}
		c.Params["since_seconds"] = int(d.Seconds())
	}
	return c, nil
}

func parseDelete(verb string, args []string) (Command, error) {
	f := newFlags(verb)
	grace := f.fs.Int("grace-period", -1, "")
	words, err := f.parse(args)
	if err != nil {
		return Command{}, err
	}
	t, words, err := target(verb, words, *f.ns, "")
	if err != nil {
		return Command{}, err
	}
	if err := noMore(words); err != nil {
		return Command{}, err
	}
	switch t.Kind {
	case kinds.Pod:
		c, err := action("pod.delete", t, verb)
		if err == nil && *grace >= 0 {
			c.Params = map[string]any{"grace_seconds": *grace}
		}
		return c, err
	case kinds.Job:
		if *grace >= 0 {
			return Command{}, errf("--grace-period", "not a parameter of deleting a Job")
		}
		return action("job.delete", t, verb)
	}
	return Command{}, errf(verb, "only Pods and Jobs can be deleted, not %s", t.Kind)
}

func parseRollout(verb string, args []string) (Command, error) {
	f := newFlags(verb)
	toRev := f.fs.Int("to-revision", -1, "")
	words, err := f.parse(args)
	if err != nil {
		return Command{}, err
	}
	if len(words) == 0 {
		return Command{}, errf(verb, "rollout what? restart, history, undo, pause or resume")
	}
	sub := words[0]
	names := map[string]string{"restart": "workload.restart", "history": "workload.history", "undo": "workload.undo",
		"pause": "workload.pause", "resume": "workload.resume"}
	name, ok := names[sub]
	if !ok {
		return Command{}, errf("rollout "+sub, "unsupported (supported: restart, history, undo, pause, resume)")
	}
	c, err := one("rollout "+sub, words[1:], *f.ns, "", name)
	if err != nil {
		return Command{}, err
	}
	if f.fs.Changed("to-revision") {
		if sub != "undo" {
			return Command{}, errf("--to-revision", "only rollout undo takes it")
		}
		c.Params = map[string]any{"to_revision": *toRev}
	}
	return c, nil
}

func parseScale(verb string, args []string) (Command, error) {
	f := newFlags(verb)
	replicas := f.fs.Int("replicas", -1, "")
	words, err := f.parse(args)
	if err != nil {
		return Command{}, err
	}
	if !f.fs.Changed("replicas") {
		return Command{}, errf("--replicas", "required, e.g. scale deployment/web --replicas=3")
	}
	c, err := one(verb, words, *f.ns, "", "workload.scale")
	if err != nil {
		return Command{}, err
	}
	c.Params = map[string]any{"replicas": *replicas}
	return c, nil
}

func parseSet(verb string, args []string) (Command, error) {
	f := newFlags(verb)
	words, err := f.parse(args)
	if err != nil {
		return Command{}, err
	}
	if len(words) == 0 || words[0] != "image" {
		sub := ""
		if len(words) > 0 {
			sub = " " + words[0]
		}
		return Command{}, errf("set"+sub, "only set image is supported")
	}
	t, words, err := target("set image", words[1:], *f.ns, "")
	if err != nil {
		return Command{}, err
	}
	if len(words) == 0 {
		return Command{}, errf("set image", "which container? e.g. set image deployment/web app=nginx:1.27")
	}
	if len(words) > 1 {
		return Command{}, errf(words[1], "one container=image at a time")
	}
	container, image, ok := strings.Cut(words[0], "=")
	if !ok || container == "" || image == "" {
		return Command{}, errf(words[0], "want container=image")
	}
	if container == "*" {
		return Command{}, errf(words[0], "name the container")
	}
	c, err := action("workload.set_image", t, "set image")
	if err != nil {
		return Command{}, err
	}
	c.Params = map[string]any{"container": container, "image": image}
	return c, nil
}

func parseDrain(verb string, args []string) (Command, error) {
	f := newFlags(verb)
	grace := f.fs.Int("grace-period", -1, "")
	timeout := f.fs.Duration("timeout", 0, "")
	emptyDir := f.fs.Bool("delete-emptydir-data", false, "")
	force := f.fs.Bool("force", false, "")
	// The agent's drain always leaves DaemonSet pods (their controller
	// would put them back): the flag kubectl requires is accepted, its
	// opposite is not.
	ignoreDS := f.fs.Bool("ignore-daemonsets", false, "")
	words, err := f.parse(args)
	if err != nil {
		return Command{}, err
	}
	if f.fs.Changed("ignore-daemonsets") && !*ignoreDS {
		return Command{}, errf("--ignore-daemonsets", "a drain always leaves DaemonSet pods: --ignore-daemonsets=false is not supported")
	}
	c, err := one(verb, words, *f.ns, kinds.Node, "node.drain")
	if err != nil {
		return Command{}, err
	}
	c.Params = map[string]any{}
	if *grace >= 0 {
		c.Params["grace_seconds"] = *grace
	}
	if f.fs.Changed("timeout") {
		if *timeout <= 0 {
			return Command{}, errf("--timeout", "want a positive duration like 5m")
		}
		c.Params["timeout_seconds"] = int(timeout.Seconds())
	}
	if *emptyDir {
		c.Params["delete_emptydir_data"] = true
	}
	if *force {
		c.Params["force"] = true
	}
	return c, nil
}

func parseCreate(verb string, args []string) (Command, error) {
	f := newFlags(verb)
	from := f.fs.String("from", "", "")
	words, err := f.parse(args)
	if err != nil {
		return Command{}, err
	}
	if len(words) == 0 || words[0] != "job" {
		sub := ""
		if len(words) > 0 {
			sub = " " + words[0]
		}
		return Command{}, errf("create"+sub, "only create job --from=cronjob/NAME is supported")
	}
	if *from == "" {
		return Command{}, errf("--from", "required: create job --from=cronjob/NAME")
	}
	if len(words) > 1 {
		return Command{}, errf(words[1], "the Job's name is chosen by the agent")
	}
	return one("create job --from", []string{*from}, *f.ns, "", "cronjob.trigger")
}
