// What a connection may read: the whole tree, or a set of subtrees. The anonymous grant comes from
// --anonymous; a token adds its own subtree (docs/SECURITY.md, "The access model"). Pure: no I/O.
//
// A request's path is checked against the grant by its spelling first (locateInGrant), before the jail
// looks anything up, so a refusal (UNAUTHORIZED) says nothing about what exists. The worker then resolves
// the rest of the path beneath the granted subtree's own directory (Jail::beneath), so a symbolic link
// inside the subtree that leads out of it is refused too: the resolved location counts, not the spelling.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::server {

struct Grant {
    bool wholeTree = false;
    // Normalised subtrees ("releases", "docs/2026": no leading, trailing or doubled '/', no "." or ".."),
    // none inside another one; ignored when wholeTree.
    std::vector<std::string> subtrees;

    static Grant all() { return {true, {}}; }
    static Grant none() { return {}; }
    bool isEmpty() const { return !wholeTree && subtrees.empty(); }
    bool operator==(const Grant &) const = default;
};

// A path inside a grant: the granted subtree it lies in ("" when the grant is the whole tree) and the
// rest of the path beneath that subtree, to be resolved there.
struct GrantedPath {
    std::string subtree;
    std::string rest;
    bool operator==(const GrantedPath &) const = default;
};

// Where `path` (as a client spelled it) lies in `grant`, or nothing if it lies outside. With the whole
// tree granted, the path is returned unchanged (the jail judges it as it always has). Within subtrees:
// empty components (`a//b`) are skipped, but a '/' at the end stays at the end of `rest` (a file's name
// spelled as a folder's is NOT_FOUND either way); a path that is absolute, holds a NUL or a ".." anywhere is
// outside; a "." is never a subtree's name, so one before the subtree ends is outside and one after it
// stays in `rest`, where the jail refuses it.
std::optional<GrantedPath> locateInGrant(const Grant &grant, std::string_view path);

// What a LIST of `path` shows when `path` lies outside `grant` but on the way to it: the names of the
// next component of every granted subtree beneath `path` (sorted, each once), so that a client sees where
// it may go ("" under {releases, docs/public}: releases, docs; "docs": public). Nothing if `path` is not
// such a strict ancestor, is spelled with "." or "..", a NUL or a leading '/', or the grant is the whole
// tree: the request is then judged by locateInGrant().
std::optional<std::vector<std::string>> namesTowardGrant(const Grant &grant, std::string_view path);

// `subtree` ("releases/", "/docs//2026", "" or "/" for the whole tree) in normal form, or nothing if it
// holds a "." or ".." component or a NUL. "" stands for the whole tree.
std::optional<std::string> normalizeSubtree(std::string_view subtree);

// `grant` widened by `subtree` (normal form; "" = the whole tree), keeping subtrees disjoint.
Grant widen(Grant grant, const std::string &subtree);

// --anonymous: "all", "none", or a comma-separated list of subtrees. Nothing for a bad value, with
// `error` saying what is expected ("all, none or ...").
std::optional<Grant> parseAnonymous(std::string_view value, std::string &error);
// The `auth` capability a version 2 WELCOME offers under this anonymous grant (docs/PROTOCOL.md §10.1):
// "required" when nothing is open anonymously, "optional" when only subtrees are, "" (not offered) when
// the whole tree is open, as a token could grant nothing more.
const char *authCapability(const Grant &anonymous);
// The inverse, for logs and the admin plane: "all", "none" or "a,b".
std::string describeGrant(const Grant &grant);

} // namespace ferry::server
