// Inspection results as JSON: virt-inspector's field names, with the schema in
// docs/inspect-schema.json.
#pragma once

#include "inspection.hpp"
#include "json_writer.hpp"

#include <vector>

namespace guestuml::cli {

// Writes "operatingsystems": [...] into the object json has open.
void write_operating_systems(JsonWriter& json, const std::vector<OperatingSystem>& systems);

} // namespace guestuml::cli
