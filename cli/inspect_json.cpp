#include "inspect_json.hpp"

namespace guestuml::cli {

namespace {

// virt-inspector leaves out what is unknown; so do we, rather than print "".
void optional_member(JsonWriter& json, const char* name, const std::string& value)
{
    if (value.empty())
        return;
    json.key(name);
    json.value(value);
}

void write_application(JsonWriter& json, const Application& app)
{
    json.begin_object();
    json.key("name");
    json.value(app.name);
    optional_member(json, "display_name", app.display_name);
    if (app.epoch != 0) {
        json.key("epoch");
        json.value(app.epoch);
    }
    optional_member(json, "version", app.version);
    optional_member(json, "release", app.release);
    optional_member(json, "arch", app.arch);
    optional_member(json, "install_path", app.install_path);
    optional_member(json, "publisher", app.publisher);
    optional_member(json, "url", app.url);
    optional_member(json, "source_package", app.source_package);
    optional_member(json, "summary", app.summary);
    optional_member(json, "description", app.description);
    json.end_object();
}

void write_system(JsonWriter& json, const OperatingSystem& os)
{
    json.begin_object();
    for (const auto& name : scalar_field_names()) {
        if (name == "major_version" || name == "minor_version") {
            json.key(name);
            json.value(name == "major_version" ? os.major_version : os.minor_version);
        } else {
            optional_member(json, name.c_str(), *scalar_field(os, name));
        }
    }
    json.key("mountpoints");
    json.begin_array();
    for (const auto& [mountpoint, dev] : os.mountpoints) {
        json.begin_object();
        json.key("dev");
        json.value(dev);
        json.key("mountpoint");
        json.value(mountpoint);
        json.end_object();
    }
    json.end_array();
    json.key("filesystems");
    json.begin_array();
    for (const auto& fs : os.filesystems) {
        json.begin_object();
        json.key("dev");
        json.value(fs.dev);
        optional_member(json, "type", fs.type);
        optional_member(json, "label", fs.label);
        optional_member(json, "uuid", fs.uuid);
        json.end_object();
    }
    json.end_array();
    if (!os.drive_mappings.empty()) {
        json.key("drive_mappings");
        json.begin_array();
        for (const auto& [name, dev] : os.drive_mappings) {
            json.begin_object();
            json.key("name");
            json.value(name);
            json.key("dev");
            json.value(dev);
            json.end_object();
        }
        json.end_array();
    }
    if (os.applications) {
        json.key("applications");
        json.begin_array();
        for (const auto& app : *os.applications)
            write_application(json, app);
        json.end_array();
    }
    json.end_object();
}

} // namespace

void write_operating_systems(JsonWriter& json, const std::vector<OperatingSystem>& systems)
{
    json.key("operatingsystems");
    json.begin_array();
    for (const auto& os : systems)
        write_system(json, os);
    json.end_array();
}

} // namespace guestuml::cli
