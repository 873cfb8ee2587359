/* placeholder: not written yet */
typedef int wsman_placeholder_auth;
