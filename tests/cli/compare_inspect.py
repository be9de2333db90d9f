#!/usr/bin/env python3
"""Checks that guestuml's inspect JSON states the same facts as
virt-inspector's XML: compare_inspect.py OURS.json VIRT-INSPECTOR.xml.
Prints each difference; exit 0 when there is none."""
import json
import sys
import xml.etree.ElementTree as ET

SCALARS = ["root", "name", "arch", "distro", "product_name", "product_variant",
           "windows_systemroot", "windows_current_control_set", "package_format",
           "package_management", "hostname", "osinfo"]


def from_xml(path):
    systems = []
    for os_el in ET.parse(path).getroot().findall("operatingsystem"):
        os = {k: os_el.findtext(k) for k in SCALARS if os_el.find(k) is not None}
        os["major_version"] = int(os_el.findtext("major_version"))
        os["minor_version"] = int(os_el.findtext("minor_version"))
        os["mountpoints"] = [{"dev": m.get("dev"), "mountpoint": m.text}
                             for m in os_el.iter("mountpoint")]
        os["filesystems"] = [dict({"dev": f.get("dev")}, **{c.tag: c.text for c in f})
                             for f in os_el.iter("filesystem")]
        apps = os_el.find("applications")
        if apps is not None:
            os["applications"] = [
                {c.tag: (int(c.text) if c.tag == "epoch" else c.text) for c in a}
                for a in apps.findall("application")]
        systems.append(os)
    return systems


def main():
    with open(sys.argv[1]) as f:
        ours = json.load(f)["operatingsystems"]
    theirs = from_xml(sys.argv[2])
    if ours == theirs:
        sys.exit(0)
    print("guestuml:      ", json.dumps(ours, sort_keys=True))
    print("virt-inspector:", json.dumps(theirs, sort_keys=True))
    sys.exit(1)


if __name__ == "__main__":
    main()
