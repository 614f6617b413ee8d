package syslib

import (
	"path"
	"strings"
)

// DefaultBundleID is the bundle id AppSandboxParams uses when neither -D
// application_bundle_id nor the entitlements' application identifier
// gives one.
const DefaultBundleID = "com.example.app"

// AppSandboxParams returns the parameters the App Sandbox passes when it
// compiles application.sb for an app (docs/system-library.md section 3.2):
// the user (_HOME, _USER, _UID), the bundle and the container. The darwin
// directories stand for the per-user /private/var/folders directories,
// whose real names hash the user's UUID: pass -D to use a machine's own.
func AppSandboxParams(home, bundleID string) map[string]string {
	home = strings.TrimRight(home, "/")
	if home == "" {
		home = "/"
	}
	if bundleID == "" {
		bundleID = DefaultBundleID
	}
	name := bundleID[strings.LastIndexByte(bundleID, '.')+1:]
	container := path.Join(home, "Library/Containers", bundleID, "Data")
	folders := "/private/var/folders/zz/sbplc_app_sandbox/"
	return map[string]string{
		"_HOME":                        home,
		"_USER":                        path.Base(home),
		"_UID":                         "501",
		"application_bundle":           "/Applications/" + name + ".app",
		"application_bundle_id":        bundleID,
		"application_container":        container,
		"application_container_id":     bundleID,
		"application_darwin_user_dir":  folders + "0/" + bundleID,
		"application_darwin_temp_dir":  folders + "T/" + bundleID,
		"application_darwin_cache_dir": folders + "C/" + bundleID,
	}
}

// BundleIDFromIdentifier turns an application identifier entitlement
// ("TEAMID.com.example.app") into the bundle id it names, or "".
func BundleIDFromIdentifier(appID string) string {
	team, id, ok := strings.Cut(appID, ".")
	if !ok || team == "" || !strings.Contains(id, ".") {
		return ""
	}
	return id
}
