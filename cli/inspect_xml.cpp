#include "inspect_xml.hpp"

#include <fmt/format.h>

namespace guestuml::cli {

namespace {

// The escaping libxml2's text writer applies, so the bytes match virt-inspector's.
std::string escape(const std::string& text, bool attribute)
{
    std::string out;
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '\r': out += "&#13;"; break;
        case '"': out += attribute ? "&quot;" : "\""; break;
        case '\n': out += attribute ? "&#10;" : "\n"; break;
        case '\t': out += attribute ? "&#9;" : "\t"; break;
        default: out += c;
        }
    }
    return out;
}

class XmlOut {
public:
    void element(int depth, const std::string& name, const std::string& text)
    {
        indent(depth);
        out += fmt::format("<{0}>{1}</{0}>\n", name, escape(text, false));
    }
    void optional(int depth, const std::string& name, const std::string& text)
    {
        if (!text.empty())
            element(depth, name, text);
    }
    void attributed(int depth, const std::string& name, const std::string& attr, const std::string& value,
                    const std::string& text)
    {
        indent(depth);
        out += fmt::format("<{0} {1}=\"{2}\">{3}</{0}>\n", name, attr, escape(value, true), escape(text, false));
    }
    void open(int depth, const std::string& tag)
    {
        indent(depth);
        out += fmt::format("<{}>\n", tag);
    }
    void close(int depth, const std::string& name)
    {
        indent(depth);
        out += fmt::format("</{}>\n", name);
    }
    void empty(int depth, const std::string& name)
    {
        indent(depth);
        out += fmt::format("<{}/>\n", name);
    }
    std::string out;

private:
    void indent(int depth) { out.append(2 * static_cast<std::size_t>(depth), ' '); }
};

void write_applications(XmlOut& xml, const std::vector<Application>& apps)
{
    if (apps.empty()) {
        xml.empty(2, "applications");
        return;
    }
    xml.open(2, "applications");
    for (const auto& app : apps) {
        xml.open(3, "application");
        xml.element(4, "name", app.name);
        xml.optional(4, "display_name", app.display_name);
        if (app.epoch != 0)
            xml.element(4, "epoch", std::to_string(app.epoch));
        xml.optional(4, "version", app.version);
        xml.optional(4, "release", app.release);
        xml.optional(4, "arch", app.arch);
        xml.optional(4, "install_path", app.install_path);
        xml.optional(4, "publisher", app.publisher);
        xml.optional(4, "url", app.url);
        xml.optional(4, "source_package", app.source_package);
        xml.optional(4, "summary", app.summary);
        xml.optional(4, "description", app.description);
        xml.close(3, "application");
    }
    xml.close(2, "applications");
}

void write_system(XmlOut& xml, const OperatingSystem& os)
{
    xml.open(1, "operatingsystem");
    for (const auto& name : scalar_field_names()) {
        const auto value = *scalar_field(os, name);
        if (name == "major_version" || name == "minor_version")
            xml.element(2, name, value);
        else
            xml.optional(2, name, value);
    }
    if (os.mountpoints.empty()) {
        xml.empty(2, "mountpoints");
    } else {
        xml.open(2, "mountpoints");
        for (const auto& [mountpoint, dev] : os.mountpoints)
            xml.attributed(3, "mountpoint", "dev", dev, mountpoint);
        xml.close(2, "mountpoints");
    }
    if (os.filesystems.empty()) {
        xml.empty(2, "filesystems");
    } else {
        xml.open(2, "filesystems");
        for (const auto& fs : os.filesystems) {
            const auto tag = fmt::format("filesystem dev=\"{}\"", escape(fs.dev, true));
            if (fs.type.empty() && fs.label.empty() && fs.uuid.empty()) {
                xml.empty(3, tag);
                continue;
            }
            xml.open(3, tag);
            xml.optional(4, "type", fs.type);
            xml.optional(4, "label", fs.label);
            xml.optional(4, "uuid", fs.uuid);
            xml.close(3, "filesystem");
        }
        xml.close(2, "filesystems");
    }
    if (!os.drive_mappings.empty()) {
        xml.open(2, "drive_mappings");
        for (const auto& [name, dev] : os.drive_mappings)
            xml.attributed(3, "drive_mapping", "name", name, dev);
        xml.close(2, "drive_mappings");
    }
    if (os.applications)
        write_applications(xml, *os.applications);
    xml.close(1, "operatingsystem");
}

} // namespace

std::string operating_systems_xml(const std::vector<OperatingSystem>& systems)
{
    XmlOut xml;
    xml.out = "<?xml version=\"1.0\"?>\n";
    if (systems.empty()) {
        xml.empty(0, "operatingsystems");
        return xml.out;
    }
    xml.open(0, "operatingsystems");
    for (const auto& os : systems)
        write_system(xml, os);
    xml.close(0, "operatingsystems");
    return xml.out;
}

} // namespace guestuml::cli
