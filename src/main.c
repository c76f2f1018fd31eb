/* main.c -- placeholder until the command dispatcher lands. */
#include <stdio.h>
int main(void) { puts("mident"); return 0; }
