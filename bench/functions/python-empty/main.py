def handler(context, event):
    return ""
