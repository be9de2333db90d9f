// Inspection results as virt-inspector's XML (its RELAX NG schema, element
// order and two-space indentation), without the icon (like --no-icon).
#pragma once

#include "inspection.hpp"

#include <string>
#include <vector>

namespace guestuml::cli {

// The whole document, XML declaration included.
std::string operating_systems_xml(const std::vector<OperatingSystem>& systems);

} // namespace guestuml::cli
