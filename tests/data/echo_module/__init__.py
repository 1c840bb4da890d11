"""echo: a throwaway module that stores one line of text per account.

tests/node/test_a_new_module_is_its_folder_and_one_line_of_wiring.py copies it into a copy
of the tree as x/echo/ and wires it with one line, to show what adding a module takes.
"""
