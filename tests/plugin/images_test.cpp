#include "plugin_images.hpp"

#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>

using namespace guestuml::plugin::test;

TEST_CASE("the test images are made, LVM/RAID/btrfs with guestfish on guestuml", "[images]")
{
    const auto images = plugin_images(PLUGIN_IMAGE_DIR);
    build_plugin_images(images);
    for (const auto& image : images.all())
        CHECK(boost::filesystem::file_size(image) > 0);
    CHECK(images_unchanged(images, nullptr));
}
