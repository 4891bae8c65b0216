#include "runner.h"
int main(int c, char **v){ return runner_main(c, v); }
