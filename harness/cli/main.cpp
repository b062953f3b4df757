// moebench command line entry point.
#include <iostream>

int main() {
  std::cout << "moebench\n";
  return 0;
}
