package main

import (
	"fmt"
	"regexp"
	"strings"
)

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parseEnvFile reads text in systemd's EnvironmentFile= syntax, the format the
// collection writes: comments start with # or ;, a value may be bare (trailing
// white space dropped), 'single-quoted' or "double-quoted" (where a backslash
// escapes ", \, ` and $), parts concatenate, and a backslash at the end of a
// line joins the next one. A later assignment of a name wins; names that are
// not variable names are skipped, as systemd skips them.
func parseEnvFile(text string) map[string]string {
	const (
		preKey = iota
		inKey
		preValue
		bare
		bareEscape
		single
		double
		doubleEscape
		comment
		commentEscape
	)
	env := map[string]string{}
	var key, val strings.Builder
	keyEnd, valEnd := -1, -1 // where trailing white space began, or -1
	push := func() {
		k, v := key.String(), val.String()
		if keyEnd >= 0 {
			k = k[:keyEnd]
		}
		if valEnd >= 0 {
			v = v[:valEnd]
		}
		if envNameRE.MatchString(k) {
			env[k] = v
		}
		key.Reset()
		val.Reset()
		keyEnd, valEnd = -1, -1
	}
	isSpace := func(c rune) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	isNewline := func(c rune) bool { return c == '\n' || c == '\r' }
	state := preKey
	for _, c := range text {
		switch state {
		case preKey:
			if c == '#' || c == ';' {
				state = comment
			} else if !isSpace(c) {
				state = inKey
				key.Reset()
				keyEnd = -1
				key.WriteRune(c)
			}
		case inKey:
			switch {
			case isNewline(c):
				state = preKey
			case c == '=':
				state = preValue
				val.Reset()
				valEnd = -1
			default:
				if !isSpace(c) {
					keyEnd = -1
				} else if keyEnd < 0 {
					keyEnd = key.Len()
				}
				key.WriteRune(c)
			}
		case preValue:
			switch {
			case isNewline(c):
				push()
				state = preKey
			case c == '\'':
				state = single
			case c == '"':
				state = double
			case c == '\\':
				state = bareEscape
			case !isSpace(c):
				state = bare
				val.WriteRune(c)
			}
		case bare:
			switch {
			case isNewline(c):
				push()
				state = preKey
			case c == '\\':
				state = bareEscape
				valEnd = -1
			default:
				if !isSpace(c) {
					valEnd = -1
				} else if valEnd < 0 {
					valEnd = val.Len()
				}
				val.WriteRune(c)
			}
		case bareEscape:
			state = bare
			if !isNewline(c) {
				val.WriteRune(c)
			}
		case single:
			if c == '\'' {
				state = preValue
			} else {
				val.WriteRune(c)
			}
		case double:
			if c == '"' {
				state = preValue
			} else if c == '\\' {
				state = doubleEscape
			} else {
				val.WriteRune(c)
			}
		case doubleEscape:
			state = double
			if strings.ContainsRune("\"\\`$", c) {
				val.WriteRune(c)
			} else if c != '\n' {
				val.WriteRune('\\')
				val.WriteRune(c)
			}
		case comment:
			if c == '\\' {
				state = commentEscape
			} else if isNewline(c) {
				state = preKey
			}
		case commentEscape:
			state = comment
		}
	}
	switch state {
	case preValue, bare, bareEscape, single, double, doubleEscape:
		push()
	}
	return env
}

// withEnvFile returns a getenv that reads the process environment first and
// then the file named by ENV_FILE, if that is set. In docker mode the
// collection mounts the service's environment file read-only and names it in
// ENV_FILE, so secrets are not part of the container's configuration (which
// `docker inspect` shows to anyone allowed to use Docker).
func withEnvFile(getenv func(string) string, readFile func(string) ([]byte, error)) (func(string) string, error) {
	path := getenv("ENV_FILE")
	if path == "" {
		return getenv, nil
	}
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("ENV_FILE: %w", err)
	}
	file := parseEnvFile(string(data))
	return func(key string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return file[key]
	}, nil
}
