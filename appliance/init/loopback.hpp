// The loopback interface, brought up with one ioctl instead of ip(8).
#pragma once

namespace guestuml::init {

// Sets lo up; the kernel gives it 127.0.0.1/8 by itself. Throws Error.
void bring_up_loopback();

} // namespace guestuml::init
