# json.awk - flatten one JSON document into "path=value" lines, for shell checks in a guest
# that has busybox but no JSON tool:
#   {"nodes":[{"id":0,"cpus":"0-1","d":[10,20]}],"p":null}
# gives
#   nodes[0].id=0
#   nodes[0].cpus=0-1
#   nodes[0].d[0]=10
#   nodes[0].d[1]=20
#   p=null
# and "path#=N" for the length of every array ("nodes#=1", "nodes[0].d#=2"). Strings lose
# their quotes; \" \\ \/ \n \t escapes are decoded. A syntax error prints "json-error=..." and
# exits 1. With -v lines=1 every input line is a document of its own (JSON lines), numbered
# from 0: "[0].name=vm1"; blank lines are skipped.
function fail(msg) {
	print "json-error=" msg " at offset " pos
	bad = 1
	exit 1
}
function ws() {
	while (pos <= len && index(" \t\n\r", substr(s, pos, 1)))
		pos++
}
function str(   out, c, e) {
	out = ""
	pos++
	while (pos <= len) {
		c = substr(s, pos, 1)
		if (c == "\"") {
			pos++
			return out
		}
		if (c == "\\") {
			e = substr(s, pos + 1, 1)
			if (e == "n") c = "\n"
			else if (e == "t") c = "\t"
			else if (e == "u") { c = "?"; pos += 4 }
			else c = e
			pos++
		}
		out = out c
		pos++
	}
	fail("unterminated string")
}
function value(path,   c, n, key, start) {
	ws()
	c = substr(s, pos, 1)
	if (c == "{") {
		pos++
		ws()
		if (substr(s, pos, 1) == "}") { pos++; print path "={}"; return }
		for (;;) {
			ws()
			if (substr(s, pos, 1) != "\"") fail("object key expected")
			key = str()
			ws()
			if (substr(s, pos, 1) != ":") fail("':' expected")
			pos++
			value(path == "" ? key : path "." key)
			ws()
			c = substr(s, pos, 1)
			pos++
			if (c == "}") return
			if (c != ",") fail("',' or '}' expected")
		}
	}
	if (c == "[") {
		pos++
		n = 0
		ws()
		if (substr(s, pos, 1) == "]") { pos++; print path "#=0"; return }
		for (;;) {
			value(path "[" n "]")
			n++
			ws()
			c = substr(s, pos, 1)
			pos++
			if (c == "]") { print path "#=" n; return }
			if (c != ",") fail("',' or ']' expected")
		}
	}
	if (c == "\"") {
		print path "=" str()
		return
	}
	start = pos
	while (pos <= len && index("-+.0123456789eEtruefalsn", substr(s, pos, 1)))
		pos++
	if (pos == start) fail("value expected")
	print path "=" substr(s, start, pos - start)
}
function parse(prefix) {
	len = length(s)
	pos = 1
	value(prefix)
	ws()
	if (pos <= len) fail("trailing characters")
}
lines && NF {
	s = $0
	parse("[" ndoc++ "]")
}
!lines { s = s $0 "\n" }
END {
	if (bad) exit 1
	if (!lines) parse("")
}
