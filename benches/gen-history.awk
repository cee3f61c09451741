# Writes a `git fast-import` stream for the walk benchmark (see benches/walk.sh).
#
# Shape, chosen to look like a busy pull-request repository:
#   - one root commit adding NFILES files spread over nested directories (area/module/file);
#   - MAIN first-parent commits on refs/heads/main, each touching 1-5 files (now and then
#     adding or deleting one, so trees change shape, not only blob ids; ~3,200 files live);
#   - every 10th main commit is a merge of a 2-4 commit side branch forked from main, whose
#     tree carries the side branch's changes: first-parent is a real subset of history and a
#     merge's first-parent diff is non-trivial;
#   - a few empty commits, a few co-authored messages, some non-ASCII author names.
# Deterministic: a fixed seed and fixed dates, so every machine builds the same repository.
#
# Variables (awk -v): MAIN (default 50000), NFILES (default 3000), MERGE_EVERY (every how
# many main commits one is a merge; default 10), START (the root's time, seconds since 1970;
# default 1600000000), GAP (at most this many seconds plus a minute between commits; default
# 600), PRS (name merges "Merge pull request #N" from 1 up instead of by mark).
# Run with LC_ALL=C so length() counts bytes, which `data <n>` requires.

BEGIN {
    if (MAIN == "") MAIN = 50000
    if (NFILES == "") NFILES = 3000
    if (MERGE_EVERY == "") MERGE_EVERY = 10
    if (START == "") START = 1600000000
    if (GAP == "") GAP = 600
    srand(20260701)
    split("api core billing auth infra ops web mobile data ml docs tools", AREA, " ")
    split("Ada Lovelace|Grace Hopper|Zoë Ünal|Linus Øster|Mária Kovács|Jürgen Weiß|Nadia Ali|Kenji Sato|Priya Raman|Tomás Ruiz|Wei Chen|Olu Ade", NAME, "|")
    NNAMES = 12
    t = START
    mark = 0
    root()
    tip = mark
    for (m = 1; m <= MAIN; m++) {
        if (m % MERGE_EVERY == 0) merge_commit()
        else main_commit(m)
    }
}

function path_of(i,    area, module, file) {
    area = AREA[(i % 12) + 1]
    module = int(i / 12) % 25
    file = int(i / 300)
    return "src/" area "/mod" module "/file" file ".rs"
}

function person(    n) {
    n = int(rand() * NNAMES) + 1
    who = NAME[n]
    mail = tolower(NAME[n])
    gsub(/[^a-z]/, ".", mail)
    return who " <" mail "@example.com>"
}

function header(ref, message,    p) {
    mark++
    t += 60 + int(rand() * GAP)
    p = person()
    print "commit " ref
    print "mark :" mark
    print "author " p " " t " +0000"
    print "committer " p " " t " +0000"
    print "data " length(message)
    printf "%s", message
}

function blob_op(path, rev,    content) {
    content = "// " path "\n// revision " rev "\npub fn f" rev "() -> u64 { " rev " }\n"
    print "M 100644 inline " path
    print "data " length(content)
    printf "%s\n", content
}

function root(    i) {
    header("refs/heads/main", "Initial import\n")
    for (i = 0; i < NFILES; i++) {
        blob_op(path_of(i), 0)
        live[i] = 1
    }
}

# Touches 1-5 files of NFILES + 10% (a touched absent file is added, so files come and go);
# records the ops in OPS so a merge can replay a side branch's changes.
function changes(    n, k, i) {
    n = int(rand() * 5) + 1
    for (k = 0; k < n; k++) {
        i = int(rand() * NFILES * 1.1)
        if ((i in live) && rand() < 0.02) {
            delete live[i]
            print "D " path_of(i)
            OPS = OPS "D " path_of(i) "\n"
            continue
        }
        live[i] = 1
        blob_op(path_of(i), mark)
        OPS = OPS "M " i " " mark "\n"
    }
}

function message(m,    s) {
    s = AREA[int(rand() * 12) + 1] ": change " m "\n\nWhy this change was made, in a sentence.\n"
    if (rand() < 0.1) s = s "\nCo-authored-by: " person() "\n"
    return s
}

function main_commit(m) {
    header("refs/heads/main", message(m))
    print "from :" tip
    # About one in 500 is empty: it must still be in the population.
    if (rand() >= 0.002) changes()
    print ""
    tip = mark
}

function merge_commit(    k, n, side, ops, lines, j, f) {
    OPS = ""
    n = int(rand() * 3) + 2
    for (k = 0; k < n; k++) {
        header("refs/heads/side", "side work " k "\n")
        if (k == 0) print "from :" tip
        changes()
        print ""
    }
    side = mark
    ops = OPS
    header("refs/heads/main", "Merge pull request #" side " from org/side\n")
    print "from :" tip
    print "merge :" side
    n = split(ops, lines, "\n")
    for (j = 1; j <= n; j++) {
        if (lines[j] == "") continue
        split(lines[j], f, " ")
        if (f[1] == "D") print lines[j]
        else blob_op(path_of(f[2]), f[3])
    }
    print ""
    tip = mark
}
